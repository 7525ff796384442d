"""Appeals (申诉), the pure parts: ``adjust`` applies accepted decisions to a month's ingested
rows before scoring. Forms and collecting returned forms live beside it. Imports ``models``
only (plus pandas/numpy): the store and the jobs pass everything in."""
