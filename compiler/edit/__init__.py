"""``relc pin``, ``relc promote`` and ``relc tenant add|remove``: edits of tenant files a pull request would make.

Every edit is computed in memory, the whole would-be fleet is analysed with it (``compiler.app.analysis`` with an
overlay: the same rules ``relc validate`` runs), and only a clean result is written, each file replaced whole
(``compiler.emit.files``). Comes after ``app`` in the package order because it reuses that analysis.
"""
