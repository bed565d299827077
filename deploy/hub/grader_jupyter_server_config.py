"""The grader account's Jupyter server (the course service): the instructor tools back on.

deploy/hub/hub.sh installs this as ~grader/.jupyter/jupyter_server_config.py. The environment's
own config turns the Formgrader and the course list off for everyone (students run the same
environment); a server extension named here wins over that. The JupyterLab side is the
page_config.json beside it in labconfig/.

The Formgrader opens in its own browser tab (/services/<course>/formgrader). Inside JupyterLab's
frame it shows blank, because JupyterHub's `frame-ancestors` header forbids the frame
(jupyter/nbgrader#1870); allowing same-origin framing here would fix that, but nbgrader dropped
that default for security reasons, so this file does not.
"""

c = get_config()

c.ServerApp.jpserver_extensions = {
    "nbgrader.server_extensions.formgrader": True,
    "nbgrader.server_extensions.course_list": True,
}
