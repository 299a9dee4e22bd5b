"""Tables, figures and reconstruction grids drawn from data frames, plain labels and image pairs.

Nothing here knows a paper target or reads a file: ``gialib.experiments`` chooses what to
draw and passes the data in (``tests/test_layout.py`` keeps it so).
"""
