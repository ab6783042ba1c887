"""Batch runs on dask.distributed: the batch plan and manifest, the cluster client."""
