/*! legal */ a = '</script>' // x
