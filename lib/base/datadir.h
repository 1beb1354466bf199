/* datadir.c: where make install put the data (templates, registry.sql) */
#ifndef PP_DATADIR_H
#define PP_DATADIR_H

/* DATADIR as compiled in (PP_SHARE_DIR is its callers' business). */
const char *pp_datadir(void);

#endif
