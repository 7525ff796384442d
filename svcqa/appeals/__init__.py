"""Appeals (申诉): branches dispute the evidence rows that cost them points.

Pure parts: ``form`` (the per-branch list of rows that cost points), ``xlsx`` (the fillable
appeal workbook, 申诉表), ``collect`` (reading returned ones into ``AppealRequest``s) and
``adjust`` (accepted decisions applied to a month's ingested rows before scoring). The store and
the jobs pass everything in."""
