"""The fast workbook reader: a forked, memory-capped child parses the sheets (``child``) and hands
them over as Arrow files in tmpfs (``spool``); large worksheets are split and parsed on two cores
(``split``), their zip members inflated with ISA-L (``inflate``). ``Workbook`` is the face.
Nothing here imports pandas (see ``svcqa.ingest``)."""
