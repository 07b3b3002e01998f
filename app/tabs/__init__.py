"""The page's tabs, one package each (``app/tabs/<tab>/``), behind one contract
(:mod:`app.tabs.contract`) and refreshed by one page clock (:mod:`app.tabs.clock`). A tab never
imports another tab's modules; what they share lives in :mod:`app.shared`.
"""
