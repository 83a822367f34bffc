-- Loaded by busted before any spec file (run-tests passes --helper).
-- luv is required here, once, outside busted's per-file insulation: two
-- spec files that each required it would load it twice, and the first
-- copy's default loop is freed when that copy is collected, under the
-- second one's feet (a crash in uv_timer_init).
pcall(require, "luv")
