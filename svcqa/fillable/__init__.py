"""Fillable, protected form workbooks shared by the rectification and appeal forms: the sheet writer, reading a returned workbook safely, checking its cells."""
