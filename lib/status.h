/* status.c: what pp-status shows */
#ifndef PP_STATUS_H
#define PP_STATUS_H
#endif
