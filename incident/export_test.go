package incident

// recorderDir exposes a recorder's directory to the tests.
func RecorderDir(r *Recorder) string { return r.cfg.Dir }
