"""Appeals (申诉): branches dispute the evidence rows that cost them points; forms, collection, adjustments."""
