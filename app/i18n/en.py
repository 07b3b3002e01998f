"""English text of the interface: component labels and text built on the server."""

from __future__ import annotations

from app.i18n.labels_text import EN_LABELS
from app.i18n.models_text import EN_MODELS
from app.i18n.tagging_text import EN_TAGGING
from app.i18n.tasks_text import EN_TASKS

EN: dict[str, str] = {
    **EN_TASKS,
    **EN_TAGGING,
    **EN_LABELS,
    **EN_MODELS,
    "app_title": "PTune Studio",
    "app_intro": "Train a text classifier in three steps: pick a model, a dataset and a method "
    "on **Train**, watch it learn on **Monitor**, then try the result on **Try it**.",
    "tab_train": "Train",
    "tab_monitor": "Monitor",
    "tab_tryit": "Try it",
    # Train tab
    "train_model": "Base model",
    "train_model_info": "The built-in all-MiniLM-L6-v2 needs no download; or give a local "
    "model folder or a Hugging Face model id.",
    "train_data_heading": "### 1. Data",
    "train_dataset": "Dataset",
    "train_dataset_info": "The demo reviews, the data folder's datasets or your uploads "
    "(CSV, TSV, JSON lines, JSON or Parquet with a text and a label column), or a CoNLL file "
    "of tagged words (.txt, .conll, .iob, .bio: a word and its tag per line).",
    "train_upload": "Upload a dataset",
    "train_text_column": "Text column",
    "train_label_column": "Label column",
    "train_preview": "First rows",
    "train_labels_plot": "Labels",
    "train_method_heading": "### 2. Method",
    "train_method": "Method",
    "train_method_advanced": "More settings of this method",
    "train_settings_heading": "### 3. Settings",
    "train_run_name": "Run name",
    "train_run_name_info": "Optional; a name is made up from the method and the dataset.",
    "train_advanced": "Advanced settings",
    "empty_default": "empty: the default",
    "train_check": "Check settings and estimate",
    "train_start": "Start training",
    "train_stop": "Stop",
    "train_code": "Show as command / YAML",
    "train_command": "Command line",
    "train_yaml": "Config file (YAML), for `python -m core.train --config run.yaml`",
    # Monitor tab
    "monitor_runs": "Runs (click a row to show or hide its curves)",
    "monitor_select": "Show runs",
    "monitor_select_info": "Pick several runs to overlay their curves and compare settings.",
    "monitor_refresh": "Refresh",
    "monitor_plot": "Training curves",
    "monitor_diff": "Settings that differ",
    "monitor_stop": "Stop training",
    # Monitor: where a run goes wrong
    "diag_title": "Where it goes wrong",
    "diag_intro": "A finished run judged again on its own validation rows (split as training "
    "split them): which labels it confuses, precision, recall and F1 per label, and the examples "
    "it got wrong, most confident first. Click a mistake to see the words behind it.",
    "diag_run": "Run",
    "diag_run_info": "A finished run (succeeded or stopped).",
    "diag_other": "Second run (optional)",
    "diag_other_info": "A run on the same validation rows, to see where the two disagree.",
    "diag_show": "Show where it goes wrong",
    "diag_refresh": "Refresh lists",
    "diag_normalised": "Shares of each true label (rows sum to 100%)",
    "diag_classes": "Per label",
    "diag_true_filter": "True label",
    "diag_predicted_filter": "Predicted label",
    "diag_errors": "Mistakes, most confident first (click one for its words)",
    "diag_csv": "Mistakes (CSV)",
    "diag_disagree": "Where the two runs disagree",
    # Try it tab
    "tryit_text": "Sentence",
    "tryit_text_placeholder": "Type a sentence to classify...",
    "tryit_runs": "Trained runs",
    "tryit_runs_info": "Pick one or more finished runs; each one judges the sentence.",
    "tryit_refresh": "Refresh list",
    "tryit_predict": "Classify",
    "tryit_result": "Predictions",
    "tryit_chart": "Probabilities",
    "tryit_examples": "Example sentences",
    "tryit_batch": "Classify a whole file",
    "tryit_batch_file": "File with one text per row (CSV, TSV) or per line (TXT)",
    "tryit_batch_run": "Classify the file",
    "tryit_batch_out": "Predictions (CSV)",
    "tryit_export": "Export a run",
    "tryit_export_run": "Run to export",
    "tryit_export_button": "Export as zip",
    "tryit_export_file": "Run archive (adapter, settings, metrics)",
    "tryit_export_merged": "Export merged model",
    "tryit_export_merged_file": "Merged model (a plain Hugging Face model folder, zipped)",
    "tryit_export_merged_info": "A LoRA, full fine-tuning or head-only run trained with cls "
    "pooling can also be downloaded as one plain model: `AutoModelForSequenceClassification` "
    "and `AutoTokenizer` load the unzipped folder without PTune Studio.",
    # Try it: looking inside runs
    "tryit_why": "Why? The words behind each prediction",
    "tryit_why_legend": "Each word is left out in turn and the sentence judged again: "
    "**green** words pushed the run toward its prediction, **red** ones against it; the deeper "
    "the colour, the bigger the change (hover over a word for the number). For a run that "
    "predicts a score, green words raised the score and red ones lowered it; for a run trained "
    "on text pairs, the words of both texts are explained.",
    "tryit_why_button": "Explain the predictions",
    "tryit_prompt_words": "Prompt words: what a learned prompt resembles",
    "tryit_prompt_run": "Prompt-method run",
    "tryit_prompt_run_info": "Runs trained with prompt tuning, P-Tuning v1 or P-Tuning v2.",
    "tryit_prompt_k": "Words per virtual token",
    "tryit_prompt_show": "Show the nearest words",
    "tryit_prompt_table": "Nearest vocabulary words of each virtual token",
    # Compare tab
    "tab_compare": "Compare",
    "compare_intro": "Pick finished runs to see them side by side: the share of parameters each "
    "method trains, its adapter's size on disk, training speed, time to reach its best "
    "score and its score on the validation split (accuracy, or its task's own: macro-F1, "
    "Pearson, entity F1). To measure generalisation, pick a second "
    "dataset the runs were not trained on, with the same label names (for example, runs "
    "trained on SST-2 judged on Amazon reviews), and press **Evaluate generalisation**.",
    "compare_runs": "Runs to compare",
    "compare_runs_info": "Finished runs (succeeded or stopped).",
    "compare_refresh": "Refresh lists",
    "compare_show": "Compare",
    "compare_dataset": "Second dataset",
    "compare_dataset_info": "Its test split is used if it has one, else its validation file, "
    "else all of it. Its label names must be among the runs' labels.",
    "compare_max_rows": "Rows to evaluate",
    "compare_max_rows_info": "A stratified sample (seed 42) when the split is larger.",
    "compare_evaluate": "Evaluate generalisation",
    "compare_table": "Comparison",
    "compare_plot": "Comparison chart",
    # Sweep tab
    "tab_sweep": "Sweep",
    "sweep_intro": "Try every combination of prompt length and learning rate for a prompt "
    "method. Each combination is a normal run (it appears on **Monitor** and **Try it**), and the "
    "runs train one after another; **Stop** ends the current run, which still saves, and keeps "
    "the finished ones.",
    "sweep_dataset": "Dataset",
    "sweep_model": "Base model",
    "sweep_method": "Prompt method",
    "sweep_lengths": "Prompt lengths",
    "sweep_lengths_info": "Virtual tokens to try, separated by commas.",
    "sweep_lrs": "Learning rates",
    "sweep_lrs_info": "Separated by commas; filled in around the chosen method's default.",
    "sweep_budget": "Minutes per run",
    "sweep_budget_info": "Each run fits itself into this time.",
    "sweep_max_steps": "Max steps per run",
    "sweep_max_steps_info": "Optional; stops each run after this many steps.",
    "sweep_name": "Sweep name",
    "sweep_start": "Start sweep",
    "sweep_stop": "Stop sweep",
    "sweep_past": "Sweep",
    "sweep_past_info": "The running sweep, or one from the database.",
    "sweep_plot": "Validation score by prompt length and learning rate",
    "sweep_table": "Runs of the sweep (★ marks the best)",
    # Few-shot tab
    "tab_fewshot": "Few-shot",
    "fewshot_intro": "**How much data do I need?** Train each method on *k* examples of every "
    "class, for several *k* and several seeds, and see the score grow with *k*. Every run trains "
    "the same number of steps with its method's default settings and is judged once, at its "
    "end, on the same validation rows, so the points compare fairly; **all** "
    "trains on every training row for the same steps. The runs train one after another, "
    "methods × sizes × seeds of them (the line under the form counts them and estimates the "
    "time); each is a normal run on **Monitor** and **Try it**. **Stop** ends the current run "
    "and keeps the finished ones; **Resume** trains the rest under the same experiment.",
    "fewshot_dataset": "Dataset",
    "fewshot_model": "Base model",
    "fewshot_methods": "Methods",
    "fewshot_methods_info": "Each trains with its own default learning rate and settings.",
    "fewshot_shots": "Examples per class (k)",
    "fewshot_shots_info": "Separated by commas; 'all' trains on every training row. Sizes "
    "larger than the smallest class are left out. Tagged words: sentences in all.",
    "fewshot_seeds": "Seeds",
    "fewshot_seeds_info": "Runs per method and size, each on another sample of examples.",
    "fewshot_steps": "Steps per run",
    "fewshot_steps_info": "The same for every run, so that only the data differs.",
    "fewshot_batch": "Batch size",
    "fewshot_batch_info": "Examples per step (drawn again when k is smaller).",
    "fewshot_name": "Experiment name",
    "fewshot_start": "Start experiment",
    "fewshot_stop": "Stop experiment",
    "fewshot_resume": "Resume experiment",
    "fewshot_past": "Few-shot experiment",
    "fewshot_past_info": "The running experiment, or one from the database.",
    "fewshot_plot": "Score by examples per class",
    "fewshot_table": "Mean ± standard deviation of the score (finished / planned runs)",
    "fewshot_runs": "Runs of the experiment",
    "monitor_resume": "Resume",
    "monitor_queue": "Waiting runs",
    "monitor_queue_table": "Runs waiting for the device, in the order they start",
    "monitor_queue_run": "Waiting run",
    "monitor_move_up": "Move up",
    "monitor_cancel": "Cancel",
}

# Text built on the server, in the language given at launch.
SERVER_EN: dict[str, str] = {
    "problems_title": "Please fix these settings",
    "error_title": "Something went wrong",
    "unexpected_error": "An internal error ({kind}), logged as {reference}: the server's log "
    "has the details. Please report it with that reference.",
    "started": "Run #{run_id} ({name}) started. Follow it on the Monitor tab.",
    "stopping": "Asked run #{run_id} to stop; it finishes the current step and saves.",
    "stopping_sweep": "Sweep {sweep_id} starts no further runs.",
    "nothing_running": "No training is running.",
    "estimate": "**{trainable}** trainable parameters of {total} ({share}). "
    "About **{steps}** steps; estimated time **{duration}** (a rough estimate from {speed}).",
    "estimate_budget": " The time budget caps it at {budget}.",
    "estimate_memory": " Peak memory about **{need} GB** of {have} GB available on this machine.",
    "speed_measured": "earlier runs of this model and method",
    "speed_guess": "a conservative guess of the speed",
    "settings_ok": "The settings look fine.",
    "dataset_summary": "{rows} rows, {labels} labels: {names}. Text column `{text}`, label "
    "column `{label}`.",
    "language_unknown": "**{share}** of the tokens in the first {rows} training texts are "
    "unknown to the tokenizer of `{model}`: it does not read this data's language (mostly "
    "{script} text), and a run on it learns little more than the most common label. Use a base "
    "model that reads it, e.g. {models}.",
    "language_bytes": "**{share}** of the tokens in the first {rows} training texts are pieces "
    "of characters that the tokenizer of `{model}` knows only as bytes: it does not read this "
    "data's language (mostly {script} text), and a run on it learns little more than the most "
    "common label. Use a base model that reads it, e.g. {models}.",
    "script_chinese": "Chinese",
    "script_japanese": "Japanese",
    "script_korean": "Korean",
    "script_cyrillic": "Cyrillic",
    "script_arabic": "Arabic",
    "script_devanagari": "Devanagari",
    "script_greek": "Greek",
    "script_hebrew": "Hebrew",
    "script_thai": "Thai",
    "script_latin": "Latin",
    "hub_dataset": "`{name}` is not a file or folder here, so it will be loaded from the "
    "Hugging Face Hub when training starts (this needs internet).",
    "model_support": "Model family {family}: every method can train it.",
    "model_support_some": "Model family {family}: {usable} can train it; not {unusable} "
    "({reason}).",
    "model_family_encoder": "`{family}`",
    "model_family_decoder": "`{family}` ({name}, a decoder: it reads the last token)",
    "model_unreadable": "This model cannot be used: {error}",
    "no_runs": "No runs yet: start one on the Train tab.",
    "status_line": "Run #{run_id} **{name}** ({method}): {status}",
    "status_error": "Run #{run_id} failed: {error}",
    "eta": "step {step} of {total} · {percent}% · about {eta} left (estimate)",
    "done": "step {step} of {total} · finished",
    "need_two": "Select two or more runs to compare their settings.",
    "no_difference": "The selected runs have the same settings.",
    "no_text": "Type a sentence first.",
    "no_run_selected": "Pick at least one trained run.",
    "merge_refused_method": "A {method} run cannot be exported as a merged model: {reason}.",
    "merge_refused_pooling": "This {method} run reads the average of all tokens (mean "
    "pooling), while a plain Hugging Face classifier reads the first token, so a merged model "
    "would predict differently. Train with the pooling setting 'cls' for a run that merges.",
    "merge_ship_adapter": 'Download the run with "Export as zip" instead and serve its '
    "adapter folder with `python -m core.serve ADAPTER_FOLDER`.",
    "no_file": "Upload a file first.",
    "empty_file": "The file has no text to classify.",
    "text_too_long": "The text is {length} characters long; at most {limit} are accepted. "
    "Shorten it, or start the app with a larger --max-text-chars.",
    "batch_too_long": "{name} has more than {limit} rows; a batch file may have at most "
    "{limit}. Split the file, or start the app with a larger --max-batch-rows.",
    "loss": "Loss",
    "eval_loss": "validation loss",
    "accuracy": "Validation accuracy",
    "learning_rate": "Learning rate",
    "throughput": "Samples per second",
    "step": "Step",
    "no_data": "No data yet",
    # Monitor: where a run goes wrong
    "diag_no_run": "Pick a finished run to see where it goes wrong.",
    "diag_same_run": "Pick a second run other than the first to see where two runs disagree.",
    "diag_outside": "Run #{run_id} was trained on {data}, which is outside the folders this app "
    "reads datasets from; start the app with a --data-dir that holds it to look at its "
    "validation rows.",
    "diag_summary": "**{run}**: {rows} validation rows looked at{sample}, {wrong} wrong "
    "(accuracy {accuracy}).",
    "diag_sample": " (a stratified sample of {total})",
    "diag_shown": "The table shows the {shown} most confident of {total} mistakes; the CSV "
    "holds them all.",
    "diag_no_mistakes": "No mistakes with these labels.",
    "diag_no_other": "Pick a second run to see where the two disagree.",
    "diag_agree": "The two runs agree on every validation row.",
    "diag_any": "any",
    "diag_no_second": "none",
    "diag_axis_true": "True label",
    "diag_axis_predicted": "Predicted label",
    "diag_shares": "Share",
    "diag_col_row": "Row",
    "diag_col_true": "True label",
    "diag_col_predicted": "Predicted",
    "diag_col_confidence": "Confidence",
    "diag_col_precision": "Precision",
    "diag_col_recall": "Recall",
    "diag_col_f1": "F1",
    "diag_col_support": "Examples",
    "diag_col_run_label": "{run} predicts",
    "diag_col_run_confidence": "{run} confidence",
    "diag_first_run": "First run",
    "diag_second_run": "Second run",
    "probability": "Probability",
    "label": "Label",
    "count": "Examples",
    "setting": "Setting",
    "run": "Run",
    "col_id": "ID",
    "col_name": "Name",
    "col_status": "Status",
    "col_method": "Method",
    "col_duration": "Duration",
    "col_error": "Error",
    "col_score": "Probability",
    "col_text": "Text",
    "demo_dataset": "Demo: 300 short reviews, positive or negative",
    "uploaded": "Uploaded",
    # Try it: looking inside runs
    "why_head": "<b>{run}</b> predicts <b>{label}</b> ({probability})",
    "why_tip": "{points:+.1f} percentage points",
    "why_truncated": "The text is longer than this run reads; words past that point cannot "
    "change its prediction.",
    "no_prompt_run": "Pick a run trained with a prompt method (prompt tuning, P-Tuning v1 or "
    "P-Tuning v2).",
    "col_virtual_token": "Virtual token",
    "col_nearest": "Nearest words (cosine similarity)",
    "col_norm": "Norm vs. words",
    "prompt_space_embeddings": "Each virtual token of **{run}** is compared with the base "
    "model's word embeddings. The norm is the token's length relative to an average word's "
    "(1.00× is typical).",
    "prompt_space_keys": "P-Tuning v2 learns no input words, so each virtual token of "
    "**{run}** is compared by its first-layer attention key (all heads) with the key the "
    "frozen model computes for every word, with the average key removed (attention ignores a "
    "shift shared by all keys). The norm is relative to an average word's key.",
    "prompt_drift": "Best similarities average {similarity:.2f} and norms {norm:.2f}×: the "
    "prompt has drifted away from every real word, as learned prompts often do, so the words "
    "are loose hints rather than its meaning.",
    "prompt_close": "Best similarities average {similarity:.2f} and norms {norm:.2f}×: most "
    "virtual tokens sit close to real words.",
    "cmp_col_run": "Run",
    "cmp_col_method": "Method",
    "cmp_col_share": "Trainable share (parameters)",
    "cmp_col_adapter": "Adapter on disk",
    "cmp_col_speed": "Train samples/s",
    "cmp_col_to_best": "Time to best {metric}",
    "cmp_col_dev": "Dev {metric}",
    "cmp_col_transfer": "{Metric} on {dataset}",
    "cmp_plot_share": "Trainable parameters, % (log)",
    "cmp_plot_adapter": "Adapter size, bytes (log)",
    "cmp_plot_speed": "Training samples per second",
    "cmp_plot_to_best": "Seconds to best {metric}",
    "cmp_plot_accuracy": "{Metric}: dev and second datasets",
    "cmp_plot_tradeoff": "Trainable share vs dev {metric} (bubble: adapter size)",
    "cmp_axis_share": "trainable parameters, %",
    "cmp_axis_dev": "dev {metric}",
    "cmp_dev": "dev",
    "cmp_none_picked": "Pick one or more finished runs to compare.",
    "cmp_no_results": "Run #{run_id} ({name}) is {status} and has no results; it is left "
    "out of the comparison.",
    "cmp_no_dataset": "Pick a second dataset to evaluate the runs on.",
    "cmp_transfer_done": "Evaluated {count} run(s) on {dataset}: {rows} rows of its {split} split.",
    # Sweep tab
    "sweep_started": "Sweep #{sweep_id} started: {runs} runs, one after another{each}.",
    "sweep_each": ", up to {duration} each",
    "sweep_stopping": "Stopping sweep #{sweep_id}: the current run finishes its step and "
    "saves; no more runs start.",
    "sweep_not_running": "No sweep is running.",
    "sweep_none": "No sweeps yet: choose a grid and press Start sweep.",
    "sweep_line": "Sweep #{sweep_id} **{name}** ({method}): {status} · {done} of {total} runs done",
    "sweep_current": " · now run #{run_id} (P={length}, lr={lr}), {step}",
    "sweep_step": "step {step} of {total}",
    "sweep_best": " · best: run #{run_id}, P={length}, lr={lr}, {metric} {score}",
    "sweep_best_so_far": " · best so far: run #{run_id}, P={length}, lr={lr}, {metric} {score}",
    "sweep_error": "Sweep error: {error}",
    "sweep_best_marker": "★ best",
    "sweep_best_point": "best",
    "sweep_axis_length": "Prompt length (virtual tokens)",
    "sweep_col_best": "Best",
    "sweep_col_length": "Prompt length",
    "sweep_col_lr": "Learning rate",
    "sweep_col_f1": "F1",
    "sweep_col_time": "Training time",
    "queued_run": "Run #{run_id} ({name}) waits in the queue at position {position}; it "
    "starts when the device is free. Follow it on the Monitor tab.",
    "resumed": "Run #{run_id} ({name}) continues from its checkpoint.",
    "resume_queued": "Run #{run_id} ({name}) waits in the queue at position {position}; it "
    "continues from its checkpoint when the device is free.",
    "resume_pick": "Select a stopped, interrupted or failed run in “Show runs” to resume it.",
    "cancel_running": "Run {run_id} is already training; stop it with Stop training instead of "
    "cancelling it.",
    "not_waiting": "Run {run_id} is not waiting in the queue (it is {status}); only waiting runs "
    "can be cancelled or moved.",
    "cancelled_new": "Run #{run_id} ({name}) was taken out of the queue and deleted; it had not "
    "started.",
    "cancelled_resume": "Run #{run_id} ({name}) was taken out of the queue; it is {status} "
    "again, as before.",
    "moved_up": "Run #{run_id} is now at position {position} in the queue.",
    "pick_waiting": "Pick a waiting run first.",
    "col_position": "Position",
    "col_start": "Starts as",
    "queue_new": "new run",
    "queue_resume": "resume",
    # Few-shot tab
    "stopping_fewshot": "Few-shot experiment {experiment_id} starts no further runs.",
    "fewshot_started": "Few-shot experiment #{experiment_id} started: {runs} runs, one after "
    "another.",
    "fewshot_resumed": "Few-shot experiment #{experiment_id} continues: {left} of its {runs} "
    "runs are left to train.",
    "fewshot_pick_resume": "Pick a stopped, interrupted or failed few-shot experiment to resume "
    "it.",
    "fewshot_stopping": "Stopping few-shot experiment #{experiment_id}: the current run "
    "finishes its step and saves; no more runs start.",
    "fewshot_not_running": "No few-shot experiment is running.",
    "fewshot_none": "No few-shot experiments yet: choose methods and sizes and press Start "
    "experiment.",
    "fewshot_line": "Few-shot experiment #{experiment_id} **{name}**: {status} · {done} of "
    "{planned} runs done · {steps} steps each",
    "fewshot_current": " · now run #{run_id} ({method}, k={k}, seed {seed}), step {step} of "
    "{total}",
    "fewshot_resume_hint": " · Resume experiment trains the {left} runs left",
    "fewshot_note": "Note: {note}",
    "fewshot_error": "Experiment error: {error}",
    "fewshot_plan": "**{runs} runs** ({methods} methods × {sizes} sizes × {seeds} seeds), "
    "{steps} steps each{time}.",
    "fewshot_plan_time": "; about **{duration}** in all (a rough estimate from {speed})",
    "fewshot_all": "all",
    "fewshot_axis_k": "Training examples per class, k (log scale)",
    "fewshot_plot_title": "Validation {metric} by examples per class",
    "fewshot_legend": "line: mean over seeds · bars: lowest to highest seed · dots: each run",
    "fewshot_hover": "{method}, k={k}<br>mean {metric} {mean} (std {std})<br>lowest to "
    "highest seed: {low} – {high}<br>{runs} of {planned} runs",
    "fewshot_hover_run": "run #{run_id}, seed {seed}, k={k}: {metric} {score}",
    "fewshot_no_runs": "No finished run yet",
    "fewshot_col_method": "Method",
    "fewshot_col_k": "k",
    "fewshot_col_seed": "Seed",
    "fewshot_cell": "{mean} ± {std} ({runs}/{planned})",
    "fewshot_cell_empty": "– ({runs}/{planned})",
}
