"""Serving the app: launch options and the guards in front of it (:mod:`app.server.serving`,
:mod:`app.server.guard`, :mod:`app.server.login_guard`), what one person may send
(:mod:`app.server.limits`) and the HTTP API (:mod:`app.server.api`).

Importing the package loads no gradio: ``launch.py`` reads its flags from the guard and the
limits before anything is built.
"""
