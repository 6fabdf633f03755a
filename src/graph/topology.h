/* topology.h — MediaPipe landmark topology compiled into tables (contract; see topology.c).
 *
 * The edge lists of ../shared/data/mediapipe_topology.txt (pose 33, hand 21, face 468/478
 * points), turned into C tables by tools/gen_topology.py, plus the face point subsets used
 * by --face-points (contours: the 128 points of FACEMESH_CONTOURS; lips: the 40 lips points),
 * each in increasing MediaPipe index order.
 */
#ifndef SG_GRAPH_TOPOLOGY_H
#define SG_GRAPH_TOPOLOGY_H

#include <stddef.h>

enum face_points { FACE_POINTS_ALL = 0, FACE_POINTS_CONTOURS, FACE_POINTS_LIPS };

/* The MediaPipe face indices a subset keeps, increasing. FACE_POINTS_ALL returns 0 and sets
 * *indices to NULL (every point of the file is kept). */
size_t topology_face_subset(enum face_points fp, const int **indices);
/* "all", "contours", "lips"; and back (returns -1 for an unknown name). */
const char *face_points_name(enum face_points fp);
int face_points_parse(const char *name);

#endif
