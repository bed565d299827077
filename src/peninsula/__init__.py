"""Peninsula: a JupyterLab course kit for reading Trivedi (2018) and Cronin (2019) closely.

Heavy libraries (Altair, ipywidgets, nbgrader) are imported only by the modules that need them,
so `import peninsula` stays fast in lessons and in autograding kernels.
"""
