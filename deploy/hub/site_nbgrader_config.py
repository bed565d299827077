"""Site-wide nbgrader settings for the Peninsula hub.

deploy/hub/hub.sh installs this as nbgrader_config.py in the site's Jupyter config folder
(/etc/jupyter by default), with the course id and the exchange filled in. Every nbgrader on the
machine reads it before anything else: the students' Assignment List, the grader's commands and
the Formgrader. The course's own nbgrader_config.py leaves the exchange to this file.
"""

c = get_config()

c.CourseDirectory.course_id = "@COURSE_ID@"
# One exchange for the whole machine: the grader releases and collects here, students fetch and submit.
c.Exchange.root = "@EXCHANGE@"

# The grader's collect (the kit's, selected by the course's own nbgrader_config.py, which the
# Formgrader reads too) takes a submission only from the unix account of the student it names. On
# this hub a student's id is their unix name; elsewhere, e.g. on The Littlest JupyterHub, set the
# pattern ("jupyter-{student_id}") or map ids one by one with c.PeninsulaCollect.student_accounts.
# Students read this file too, so it names no grader code: this is plain configuration.
c.PeninsulaCollect.account_name = "{student_id}"
