/*
 * naming.c - Django's fingerprinted name: "dir/name.<12 hex>.ext".
 *
 * ManifestStaticFilesStorage.hashed_name splits the last segment with
 * os.path.splitext, so only the last extension moves ("app.js.map" becomes
 * "app.js.<h>.map") and a name that only starts with dots (".htaccess") has
 * no extension at all.  cp_path_extpos implements exactly that split, so the
 * names match Django's byte for byte, which is what lets a Django template
 * read cdnpipe's manifest.
 */
#include "fingerprint/fingerprint.h"

#include <string.h>

char *cp_hashed_name(const char *logical, const unsigned char md5[16])
{
	char hex[33];
	cp_hex(md5, 16, hex);
	size_t ext = cp_path_extpos(logical);
	return cp_xasprintf("%.*s.%.12s%s", (int)ext, logical, hex, logical + ext);
}
