"""Jobs: the one layer that opens the history store and hands what it reads to the renderers."""
