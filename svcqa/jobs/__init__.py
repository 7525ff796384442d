"""Jobs: the only layer that opens the history store and hands what it holds to the renderers."""
