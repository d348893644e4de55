"""Derive the face mesh's mirror pairs from MediaPipe's canonical face model.

The canonical model (mediapipe/modules/face_geometry/data/canonical_face_model.obj,
Apache-2.0) places the 468 points of the face mesh on a face symmetric about x = 0, so a
point's mirror partner is the point at (-x, y, z): exactly, for every point. This prints the
table `src/landmarks/mirror.rs` holds.

    python3 tools/mesh_mirror.py canonical_face_model.obj
"""

import sys


def main(path):
    points = [
        tuple(float(v) for v in line.split()[1:4])
        for line in open(path, encoding="ascii")
        if line.startswith("v ")
    ]
    assert len(points) == 468, f"{len(points)} vertices, expected 468"
    partner = []
    for x, y, z in points:
        exact = [j for j, p in enumerate(points) if p == (-x, y, z)]
        assert len(exact) == 1, f"no exact mirror for {(x, y, z)}"
        partner.append(exact[0])
    assert all(partner[partner[i]] == i for i in range(468)), "not an involution"
    print(", ".join(str(j) for j in partner))


if __name__ == "__main__":
    main(sys.argv[1])
