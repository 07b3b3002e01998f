"""Chinese of the storage layer's errors and the reasons it records (:mod:`storage`)."""

ZH: dict[str, str] = {
    'the process running it ended unexpectedly; resume it from its checkpoint or start it again':
        '运行它的进程意外结束；请从检查点继续，或重新开始',
    'the process running it ended unexpectedly; its finished runs are kept, start the sweep '
    'again for the rest':
        '运行它的进程意外结束；已完成的运行会保留，其余部分请重新开始扫描',
    'run {id} ({name}) has no checkpoint to resume from: {where} is missing (never written, '
    'deleted, or on another machine); start the run again instead':
        '运行 {id}（{name}）没有可用于继续的检查点：{where} 不存在（从未写出'
        '、已被删除，或在另一台机器上）；请重新开始该运行',
    'no run with id {id} in {path}; list the runs with `python -m storage list`':
        '{path} 中没有编号为 {id} 的运行；可用 `python -m storage list` 列出'
        '所有运行',
    "no sweep with id {id} in {path}; the app's Sweep tab lists the recorded ones":
        '{path} 中没有编号为 {id} 的扫描；应用的扫描页列出了已记录的扫描',
    'run {id} is not waiting in the queue (it has started, was cancelled, or was never '
    'queued); the Monitor tab lists the waiting runs':
        '运行 {id} 不在队列中等待（它已开始、已被取消，或从未排队）；监控页列'
        '出了等待中的运行',
    'the database {path} stayed locked by another program past the busy timeout; wait for '
    'the other program (a training run, a sqlite3 shell) to finish and try again':
        '数据库 {path} 被另一个程序锁定，超过了等待时间；请等那个程序（训练运行或 sqlite3 命令行）'
        '结束后再试',
    'the database {path} is damaged ({error}); restore it from a backup or move it away and '
    'start with a new one':
        '数据库 {path} 已损坏（{error}）；请从备份恢复，或把它移开并使用新的数据库',
    'database error on {path}: {error}':
        '数据库 {path} 出错：{error}',
    'adapter folder {folder} does not exist or is not a folder':
        '适配器文件夹 {folder} 不存在或不是文件夹',
    'adapter folder {folder} holds no files; save the adapter first':
        '适配器文件夹 {folder} 中没有文件；请先保存适配器',
    '{name} (#{id}) is still running; it cannot be resumed until it ends':
        '{name}（#{id}）仍在运行；结束前无法继续',
    'a run name cannot be empty':
        '运行名称不能为空',
    'a sweep name cannot be empty':
        '扫描名称不能为空',
    'cannot delete sweep {id} ({name}) while it is still running; stop it first, then delete it':
        '扫描 {id}（{name}）仍在运行，无法删除；请先停止，再删除',
    'unsafe file path {path!r} in a stored adapter (it would be written outside its folder); '
    'import the run again from an export you trust':
        '存储的适配器中有不安全的文件路径 {path!r}（会写到其文件夹之外）；请从可信的导出文件'
        '重新导入该运行',
}  # fmt: skip
