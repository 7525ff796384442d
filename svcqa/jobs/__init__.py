"""The jobs: the only layer that combines ingest, scoring, the history store and the renderers.

``score.run_score`` is ``svcqa score`` and ``check.run_check`` is ``svcqa check``, each usable
without the command line. Below this layer, ingest writes no files and renderers open no store.
"""
