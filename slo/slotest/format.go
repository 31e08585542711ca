package slotest

import "strconv"

func ftoa(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }
func itoa(v int64) string   { return strconv.FormatInt(v, 10) }
