"""Pixels to fingerprints to candidates: everything that answers "which stored picture is this?".

``decode`` turns untrusted bytes into a small picture; ``hashing`` (with ``pdq`` and
``trim``) fingerprints it; ``index`` searches the fingerprints of every stored image;
``matcher`` decides, using ``regions`` (pictures inside a screenshot), ``features``
(local keypoints) and ``agreement`` (the pixel check) when the hashes are unsure.
``source`` is the interface the store implements to feed the indexes.

No Flask and no database here: the same code runs in a gunicorn worker and in
``bench/``, so the benchmarks measure exactly what the server decides.
"""
