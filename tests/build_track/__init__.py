"""The build track's proofs. Not ``tests/build``: pytest never recurses into a folder named
``build`` (its default ``norecursedirs``), so those tests would silently not run."""
