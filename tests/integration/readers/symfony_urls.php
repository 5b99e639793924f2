<?php
// What Symfony's Asset component (Debian's php-symfony-asset 5.4) makes of a
// manifest.json: a UrlPackage on BASE_URL with a JsonManifestVersionStrategy
// in strict mode (a NAME missing from the manifest throws, exit status 1).
//
//   php symfony_urls.php MANIFEST BASE_URL NAME...
//
// Prints one JSON object {NAME: URL} on stdout.
$autoload = getenv('SYMFONY_ASSET_AUTOLOAD') ?: '/usr/share/php/Symfony/Component/Asset/autoload.php';
require $autoload;

use Symfony\Component\Asset\UrlPackage;
use Symfony\Component\Asset\VersionStrategy\JsonManifestVersionStrategy;

if ($argc < 4) {
    fwrite(STDERR, "usage: symfony_urls.php MANIFEST BASE_URL NAME...\n");
    exit(2);
}
$package = new UrlPackage($argv[2], new JsonManifestVersionStrategy($argv[1], null, true));
$out = [];
foreach (array_slice($argv, 3) as $name) {
    $out[$name] = $package->getUrl($name);
}
echo json_encode($out, JSON_UNESCAPED_SLASHES), "\n";
