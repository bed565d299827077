"""The grader account's Jupyter server (the course service): the instructor tools back on.

deploy/hub/hub.sh installs this as ~grader/.jupyter/jupyter_server_config.py. The environment's
own config turns the Formgrader and the course list off for everyone (students run the same
environment); a server extension named here wins over that. The JupyterLab side is the
page_config.json beside it in labconfig/.

The Formgrader opens in its own browser tab (/services/<course>/formgrader). Inside JupyterLab's
frame it shows blank, because JupyterHub's `frame-ancestors` header forbids the frame
(jupyter/nbgrader#1870); allowing same-origin framing here would fix that, but nbgrader dropped
that default for security reasons, so this file does not.

Pages a student's work reaches are inert (peninsula.grader.sanitize); this server adds a second layer
(peninsula.grader.page_policy): a Content-Security-Policy on every page, nbconvert's HTML sanitizer
on the Formgrader's submission pages, and files a browser would run served as downloads.
"""

c = get_config()

c.ServerApp.jpserver_extensions = {
    "nbgrader.server_extensions.formgrader": True,
    "nbgrader.server_extensions.course_list": True,
}

from peninsula.grader.page_policy import configure_server  # noqa: E402

configure_server(c)
