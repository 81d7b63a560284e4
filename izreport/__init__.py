"""izreport: reports of a provincial Industrial Zones Management Board.

Parameterised notebooks pull period data through this package, which owns the
logic (periods, metrics, formatting, charts) so the notebooks stay thin.
"""

__version__ = "0.1.0"
