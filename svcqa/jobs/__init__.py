"""Jobs: the only layer that combines ingest, scoring, the history store and the renderers."""
