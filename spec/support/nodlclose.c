/*
** nodlclose.c -- preloaded under AddressSanitizer only.  Lua unloads C
** modules when the state closes; LeakSanitizer then cannot see the
** pointers held in those libraries' static data (libcurl's, cjson's…) and
** reports them as leaks of "<unknown module>".  Keeping the libraries
** mapped keeps the report to real leaks, with symbols.
*/
int dlclose(void *handle);

int dlclose (void *handle) {
  (void)handle;
  return 0;
}
