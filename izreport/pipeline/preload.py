"""The first import of a batch's fork server, and of nothing else (it is first in
:data:`izreport.pipeline.workers.PRELOAD`): the imports that follow run without the
cycle collector, see :mod:`izreport.pipeline.forking`. Each worker turns it back on
(``batch._init_worker``).
"""

from izreport.pipeline.forking import importing

importing()
