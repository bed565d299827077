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
