"""Skeleton graphs for GCNs: adjacency, k-hop (disentangled) scales, spatial-temporal windows.

MS-G3D aggregates each joint's neighbours at exactly k hops separately for k = 0..K-1
("disentangled" multi-scale aggregation), so a far joint is not drowned by the near ones.
"""

from __future__ import annotations

import numpy as np

from posec3d.skeleton import BONES, NUM_JOINTS


def adjacency(bones: tuple[tuple[int, int], ...] = BONES, num_nodes: int = NUM_JOINTS) -> np.ndarray:
    """Symmetric 0/1 adjacency [V, V] of an undirected skeleton, without self-loops."""
    a = np.zeros((num_nodes, num_nodes))
    for i, j in bones:
        if not (0 <= i < num_nodes and 0 <= j < num_nodes) or i == j:
            raise ValueError(f"bone ({i}, {j}) is not an edge between two of {num_nodes} joints")
        a[i, j] = a[j, i] = 1.0
    return a


def hop_distance(a: np.ndarray) -> np.ndarray:
    """Shortest path lengths [V, V] in hops (inf where unreachable) of adjacency `a`."""
    num_nodes = len(a)
    step = ((a > 0) | np.eye(num_nodes, dtype=bool)).astype(np.float64)
    dist = np.where(np.eye(num_nodes, dtype=bool), 0.0, np.inf)
    reached = np.eye(num_nodes)
    for hops in range(1, num_nodes):
        reached = np.minimum(reached @ step, 1.0)
        new = (reached > 0) & np.isinf(dist)
        if not new.any():
            break
        dist[new] = hops
    return dist


def normalize(a: np.ndarray) -> np.ndarray:
    """Symmetric degree normalisation D^-1/2 A D^-1/2 (MS-G3D's normalize_adjacency_matrix).

    pyskl's port normalises columns (A D^-1) instead; the original MS-G3D, which the paper
    compares against, normalises symmetrically.
    """
    d = a.sum(axis=1) ** -0.5
    return d[:, None] * a * d[None, :]


def multiscale_adjacency(a: np.ndarray, num_scales: int) -> np.ndarray:
    """Normalised disentangled adjacencies [num_scales, V, V]: scale k links joints exactly k hops
    apart, plus self-loops (MS-G3D's k_adjacency(A, k, with_self=True); scale 0 is the identity).
    """
    dist = hop_distance(a)
    eye = np.eye(len(a))
    scales = [eye] + [(dist == k) + eye for k in range(1, num_scales)]
    return np.stack([normalize(s) for s in scales])


def window_graph(a: np.ndarray, window_size: int) -> np.ndarray:
    """G3D's spatial-temporal graph [w*V, w*V] over a window of w frames.

    Node t*V + v is joint v in frame t; every joint connects to itself and its skeleton
    neighbours in all w frames (the adjacency with self-loops tiled w x w).
    """
    return np.tile(a + np.eye(len(a)), (window_size, window_size))
