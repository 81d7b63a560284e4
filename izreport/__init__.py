"""izreport: reports of a provincial Industrial Zones Management Board.

Parameterised notebooks pull period data through this package, which owns the
logic (periods, metrics, formatting, charts) so the notebooks stay thin.
"""

import os

__version__ = "0.1.0"

# openpyxl writes its XML with lxml when lxml is installed (python-docx brings it) and with
# the standard library otherwise; the bytes differ. The standard library writer, always:
# the same data give the same workbook on every machine (the committed samples are checked).
os.environ.setdefault("OPENPYXL_LXML", "False")
