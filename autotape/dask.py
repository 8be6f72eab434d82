"""Data-parallel full-batch gradients on a Dask cluster.

``autotape.dask.value_and_grad(loss, reduction=...)`` computes the value and the
gradient of a loss over data held as Dask arrays chunked along their rows: each
chunk's gradient is computed on a worker with :func:`autotape.value_and_grad`, and
the per-chunk results are summed as pytrees on the workers, in a fixed order,
before one pytree comes back. The parameters are scattered to the workers once per
step, not once per chunk.

This module needs the ``dask`` extra (``pip install "autotape[dask]"``);
``import autotape`` does not import it. Every worker needs autotape (the same
version) and the code of the loss function; see the page "Training on more than
one machine" of the documentation.
"""

from __future__ import annotations

import functools
import math
import traceback
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import cloudpickle
import dask
import dask.array as da
import distributed
import numpy as np

import autotape as at

__all__ = ["value_and_grad", "ChunkError"]

_REDUCTIONS = ("sum", "mean")

_NAME = "autotape.dask.value_and_grad"


class ChunkError(RuntimeError):
    """The loss failed on one chunk, on a worker; raised on the client.

    The message names the chunk (its index and rows), the worker's address, the
    original exception's type and message, and holds the worker's traceback.

    Attributes:
        chunk: the chunk's index along the rows (from 0).
        rows: ``(start, stop)``: the chunk holds rows ``start:stop`` of the data.
        worker: the address of the worker it failed on.
        error_type: the name of the original exception's type, e.g. ``"ValueError"``.
    """

    def __init__(self, message: str, chunk: int, rows: tuple[int, int], worker: str, error_type: str):
        super().__init__(message)
        self.chunk = chunk
        self.rows = rows
        self.worker = worker
        self.error_type = error_type

    def __reduce__(self) -> tuple:
        # Dask pickles the exception to send it from the worker to the client.
        return (type(self), (self.args[0], self.chunk, self.rows, self.worker, self.error_type))


def value_and_grad(
    loss: Callable[..., Any],
    *,
    reduction: str,
    has_aux: bool = False,
    client: distributed.Client | None = None,
    split_every: int = 8,
) -> Callable[..., tuple[Any, Any]]:
    """Turn a per-chunk loss into a function computing its full-batch value and gradient on a Dask cluster.

    ``loss(params, *chunks)`` is an ordinary autotape loss: ``params`` is a pytree of
    float arrays and each ``chunks[j]`` is one row chunk (a NumPy array) of the
    ``j``-th data array. The returned function ``step(params, *data)`` takes Dask
    arrays ``data`` with ``N`` rows, split into chunks ``k = 0, 1, ...`` of ``n_k``
    rows, evaluates ``value_k, grad_k = autotape.value_and_grad(loss)(params,
    *chunks_k)`` on the workers, and returns

    - ``reduction="sum"``: :math:`\\sum_k L_k` and :math:`\\sum_k \\nabla L_k`, the full-batch
      value and gradient of a loss that *sums* over rows (``at.mse(..., reduction="sum")``);
    - ``reduction="mean"``: :math:`\\sum_k \\frac{n_k}{N} L_k` and :math:`\\sum_k \\frac{n_k}{N}
      \\nabla L_k`, the full-batch value and gradient of a loss that is a *mean* over rows
      (``at.bce_with_logits(...)``, whose default reduction is the mean).

    Which one is right depends on the loss, so there is no default. A term that does
    not depend on the rows (weight decay) comes out once with ``"mean"`` and once per
    chunk with ``"sum"``; add such terms on the client instead.

    Each step scatters ``params`` (and the pickled ``loss``) once to every worker,
    runs one task per non-empty chunk where that chunk's data is, and sums the
    results on the workers in groups of ``split_every``, always in the same order,
    so the result does not depend on which worker ran what. Partial sums are kept
    in at least float64 and the gradient is cast back to each parameter's dtype at
    the end (float32 parameters give float32 gradients). A worker lost during a step
    is replaced by Dask, which recomputes its tasks (up to the
    ``distributed.scheduler.allowed-failures`` setting, 3 by default); the result is
    the same. Data that Dask cannot recompute (made with ``client.scatter``) is lost
    with its worker: build the data arrays from files or with ``da.from_array`` and
    ``persist()`` them.

    Args:
        loss: ``loss(params, *chunks) -> scalar`` (``-> (scalar, aux)`` with
            ``has_aux``), written with autotape ops. It must be picklable with
            cloudpickle, and its module importable on the workers (install it there,
            ``client.upload_file(path)``, or ``cloudpickle.register_pickle_by_value(module)``).
        reduction: ``"sum"`` or ``"mean"``, as above.
        has_aux: ``loss`` returns ``(value, aux)``; ``step`` then returns
            ``((value, auxes), grads)`` with ``auxes`` the list of the chunks' ``aux``
            values, one per non-empty chunk in row order. ``aux`` is not differentiated.
        client: the ``dask.distributed.Client`` to run on; by default the current one
            (the last ``Client`` made), looked up at each call.
        split_every: how many partial results one summing task adds (at least 2).

    Returns:
        ``step(params, *data) -> (value, grads)``: ``value`` a NumPy scalar of the
        dtype the loss returns; ``grads`` has the structure, shapes and dtypes of
        ``params``. ``data`` are one or more ``dask.array.Array`` with the same number
        of rows and the same chunks along the rows, and one chunk along every other
        axis. Empty chunks are skipped.

    Raises:
        ValueError: ``reduction`` is not ``"sum"`` or ``"mean"``, or ``split_every`` is
            below 2. At a call of ``step``: the data arrays have different row counts
            or row chunks, more than one chunk along another axis, unknown chunk sizes
            (NaN), or no rows; or there is no Dask client.
        TypeError: ``loss`` is not callable or cannot be pickled. At a call of
            ``step``: no data, a data argument that is not a Dask array, or a parameter
            leaf that is not a float array (the message names it, e.g. ``params['w1']``).
        ChunkError: at a call of ``step``, the loss raised on a worker (the message
            names the chunk and holds the worker's traceback), or the worker could not
            unpickle it.
        distributed.KilledWorker: workers kept dying on the same task.

    Example::

        from dask.distributed import Client
        import dask.array as da
        import autotape as at
        import autotape.dask

        client = Client()  # a local cluster; Client("tcp://scheduler:8786") for a real one
        X = da.from_array(X_np, chunks=(10_000, -1)).persist()
        y = da.from_array(y_np, chunks=10_000).persist()
        step = autotape.dask.value_and_grad(lambda p, X, y: at.mse(X @ p["w"], y), reduction="mean")
        value, grads = step(params, X, y)
    """
    if not callable(loss):
        raise TypeError(f"{_NAME}: loss must be a function loss(params, *chunks), got {type(loss).__name__}")
    if reduction not in _REDUCTIONS:
        raise ValueError(
            f"{_NAME}: reduction must be 'sum' (the loss sums over rows) or 'mean' (the loss is a mean "
            f"over rows), got {reduction!r}"
        )
    if isinstance(split_every, bool) or not isinstance(split_every, int) or split_every < 2:
        raise ValueError(f"{_NAME}: split_every must be an integer of at least 2, got {split_every!r}")
    if client is not None and not isinstance(client, distributed.Client):
        raise TypeError(
            f"{_NAME}: client must be a dask.distributed.Client or None, got {type(client).__name__}; "
            "connect with dask.distributed.Client('tcp://host:8786')"
        )
    try:
        loss_bytes = cloudpickle.dumps(loss)
    except Exception as error:
        raise TypeError(
            f"{_NAME}: the loss {getattr(loss, '__qualname__', loss)!r} cannot be pickled to send it to the "
            f"workers ({type(error).__name__}: {error}); define it at module level and keep unpicklable "
            "objects (open files, locks, clients) out of its closure"
        ) from error
    has_aux = bool(has_aux)

    @functools.wraps(loss)
    def step(params: Any, *data: Any) -> tuple[Any, Any]:
        leaves, treedef = at.tree.flatten(params)
        dtypes = _float_dtypes(leaves, treedef)
        row_chunks = _row_chunks(data)
        current = _client(client)
        return _run_step(
            current, loss_bytes, params, data, row_chunks, reduction, has_aux, split_every, treedef, dtypes
        )

    return step


# -- checks on the client -------------------------------------------------------------


def _float_dtypes(leaves: list, treedef: at.tree.TreeDef) -> list[np.dtype]:
    dtypes = []
    for index, leaf in enumerate(leaves):
        if isinstance(leaf, at.Traced):
            raise TypeError(
                f"{_NAME}: {at.tree.paths(treedef, 'params')[index]} is a traced value: a distributed step "
                "cannot run inside another autotape transform; call it with plain arrays"
            )
        dtype = np.result_type(leaf)
        if not np.issubdtype(dtype, np.floating):
            raise TypeError(
                f"{_NAME}: {at.tree.paths(treedef, 'params')[index]} has dtype {dtype}; parameters must be "
                "float arrays (convert with np.asarray(leaf, dtype=np.float64))"
            )
        dtypes.append(dtype)
    return dtypes


def _row_chunks(data: Sequence[Any]) -> tuple[int, ...]:
    """The common row chunks of the data arrays, after checking them."""
    if not data:
        raise TypeError(f"{_NAME}: step(params, *data) needs at least one Dask array of data after params")
    for j, array in enumerate(data):
        if not isinstance(array, da.Array):
            hint = "da.from_array(array, chunks=(rows_per_chunk, -1))" if isinstance(array, np.ndarray) else ""
            raise TypeError(
                f"{_NAME}: data argument {j} is a {type(array).__module__}.{type(array).__name__}; pass a "
                f"dask.array.Array chunked along its rows{', e.g. ' + hint if hint else ''}"
            )
        if array.ndim == 0:
            raise ValueError(f"{_NAME}: data argument {j} is 0-dimensional; data arrays have rows along axis 0")
        if any(math.isnan(size) for sizes in array.chunks for size in sizes):
            raise ValueError(
                f"{_NAME}: data argument {j} has unknown chunk sizes {array.chunks}; call "
                "array.compute_chunk_sizes() first (the weights of a mean need each chunk's row count)"
            )
        extra = [axis for axis in range(1, array.ndim) if len(array.chunks[axis]) > 1]
        if extra:
            raise ValueError(
                f"{_NAME}: data argument {j} of shape {array.shape} has chunks {array.chunks}, split along "
                f"axis {extra[0]}; chunk it along the rows only, e.g. array.rechunk({{{extra[0]}: -1}})"
            )
    first = data[0]
    for j, array in enumerate(data[1:], start=1):
        if array.shape[0] != first.shape[0]:
            raise ValueError(
                f"{_NAME}: data argument 0 has {first.shape[0]} rows (shape {first.shape}) but data argument "
                f"{j} has {array.shape[0]} (shape {array.shape}); every data array holds the same rows"
            )
        if array.chunks[0] != first.chunks[0]:
            raise ValueError(
                f"{_NAME}: data argument 0 has row chunks {first.chunks[0]} but data argument {j} has "
                f"{array.chunks[0]}; rechunk it to match, e.g. array.rechunk({{0: data0.chunks[0]}})"
            )
    if first.shape[0] == 0:
        raise ValueError(f"{_NAME}: the data have no rows (shape {first.shape})")
    return tuple(int(size) for size in first.chunks[0])


def _client(client: distributed.Client | None) -> distributed.Client:
    if client is not None:
        return client
    try:
        return distributed.default_client()
    except ValueError:
        raise ValueError(
            f"{_NAME}: no Dask client; make one first: dask.distributed.Client() starts a local cluster, "
            "dask.distributed.Client('tcp://host:8786') connects to a running scheduler, or pass client=..."
        ) from None


# -- one step -------------------------------------------------------------------------


def _run_step(
    client: distributed.Client,
    loss_bytes: bytes,
    params: Any,
    data: Sequence[da.Array],
    row_chunks: tuple[int, ...],
    reduction: str,
    has_aux: bool,
    split_every: int,
    treedef: at.tree.TreeDef,
    dtypes: list[np.dtype],
) -> tuple[Any, Any]:
    token = uuid.uuid4().hex
    # One scatter per step: every worker gets one copy of the parameters and the loss,
    # which all of its chunk tasks share. broadcast=True keeps a copy on each worker,
    # so losing a worker loses none of them.
    loss_future, params_future = client.scatter([loss_bytes, params], broadcast=True, hash=False)
    blocks = [array.to_delayed().ravel() for array in data]
    total = sum(row_chunks)
    parts = []
    start = 0
    for index, rows in enumerate(row_chunks):
        stop = start + rows
        if rows > 0:
            weight = rows / total if reduction == "mean" else 1.0
            info = (index, start, stop, weight, has_aux)
            task = dask.delayed(_chunk_value_and_grad, pure=False)
            parts.append(
                task(
                    loss_future,
                    params_future,
                    info,
                    *[block[index] for block in blocks],
                    dask_key_name=f"autotape-chunk-{token}-{index}",
                )
            )
        start = stop
    level = 0
    while len(parts) > 1:
        add = dask.delayed(_sum_partials, pure=False)
        parts = [
            add(*parts[i : i + split_every], dask_key_name=f"autotape-sum-{token}-{level}-{i // split_every}")
            for i in range(0, len(parts), split_every)
        ]
        level += 1
    future = client.compute(parts[0])
    try:
        value, grad_leaves, auxes, value_dtype = future.result()
    finally:
        future.release()
        loss_future.release()
        params_future.release()
    grads = at.tree.unflatten(treedef, [np.asarray(g, dtype=dtype) for g, dtype in zip(grad_leaves, dtypes)])
    value = np.dtype(value_dtype).type(value)
    if has_aux:
        return (value, auxes), grads
    return value, grads


# -- on the workers ---------------------------------------------------------------------


@functools.lru_cache(maxsize=16)
def _load_loss(loss_bytes: bytes) -> Callable[..., Any]:
    return cloudpickle.loads(loss_bytes)


def _worker_address() -> str:
    try:
        return str(distributed.get_worker().address)
    except ValueError:  # not on a worker (e.g. a synchronous scheduler)
        return "(not a worker)"


def _wide(array: Any) -> np.ndarray:
    """``array`` as an ndarray of at least float64 precision (no copy if it already is one)."""
    array = np.asarray(array)
    return array.astype(np.promote_types(array.dtype, np.float64), copy=False)


def _chunk_value_and_grad(loss_bytes: bytes, params: Any, info: tuple, *chunks: Any) -> tuple:
    """One chunk's ``(weight * value, [weight * grad leaves], [aux] or [], value dtype)``."""
    index, start, stop, weight, has_aux = info
    where = f"chunk {index} (rows {start}:{stop})"
    try:
        loss = _load_loss(loss_bytes)
    except Exception as error:
        worker = _worker_address()
        raise ChunkError(
            f"{_NAME}: {where} on worker {worker}: the worker could not unpickle the loss function "
            f"({type(error).__name__}: {error}). Its module must be importable on every worker: install it "
            "there, send it with client.upload_file(path), or call cloudpickle.register_pickle_by_value(module) "
            "on the client before the step.",
            index,
            (start, stop),
            worker,
            type(error).__name__,
        ) from None
    try:
        result, grads = at.value_and_grad(loss, has_aux=has_aux)(params, *chunks)
    except Exception as error:
        worker = _worker_address()
        raise ChunkError(
            f"{_NAME}: {where} failed on worker {worker} with {type(error).__name__}: {error}\n\n"
            f"The worker's traceback:\n{traceback.format_exc()}",
            index,
            (start, stop),
            worker,
            type(error).__name__,
        ) from None
    value, aux = result if has_aux else (result, None)
    value = np.asarray(value)
    grad_leaves = [np.asarray(_wide(g) * weight) for g in at.tree.leaves(grads)]
    return float(_wide(value) * weight), grad_leaves, [aux] if has_aux else [], value.dtype.str


def _sum_partials(*parts: tuple) -> tuple:
    """The sum of chunk results, added in the order given; auxes concatenated in that order."""
    value, leaves, auxes, dtype = parts[0]
    leaves = [leaf.copy() for leaf in leaves]  # the inputs stay as they are in the worker's memory
    auxes = list(auxes)
    for other_value, other_leaves, other_auxes, _ in parts[1:]:
        value = value + other_value
        for leaf, other in zip(leaves, other_leaves):
            np.add(leaf, other, out=leaf)
        auxes.extend(other_auxes)
    return value, leaves, auxes, dtype
