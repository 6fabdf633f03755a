/* topology_data.h — the tables tools/gen_topology.py writes into topology_data.c; read them
 * through topology.h, not directly. */
#ifndef SG_GRAPH_TOPOLOGY_DATA_H
#define SG_GRAPH_TOPOLOGY_DATA_H

#include "graph/topology.h"

extern const struct topology_group_data topology_groups[TOPOLOGY_GROUP_COUNT];
extern const struct topology_group_data topology_face_contours;
extern const size_t topology_contours_count;
extern const int *const topology_contours_points;
extern const size_t topology_lips_count;
extern const int *const topology_lips_points;
extern const struct topology_group_data topology_openpose_groups[3];

#endif
