"""Tables, figures and reconstruction grids of the paper targets."""
