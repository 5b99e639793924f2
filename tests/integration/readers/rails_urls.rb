# What Rails (ActionView + sprockets-rails, Debian's ruby-rails 6.1 and
# ruby-sprockets-rails 3.4) makes of a sprockets manifest in DIST.
#
#   ruby rails_urls.rb DIST CDN_URL NAME...
#
# Boots a minimal Rails application in production style: config.assets.compile
# = false (no Sprockets environment: the manifest is the only source), the
# public folder = DIST's parent and config.assets.prefix = "/" + DIST's
# basename, so sprockets-rails looks for .sprockets-manifest-*.json in DIST by
# its own rule (Sprockets::ManifestUtils#find_directory_manifest), and
# asset_host = CDN_URL.  Renders, over https (sprockets-rails gives integrity
# only in a secure context), for each NAME: asset_path, asset_url,
# asset_integrity, and stylesheet_link_tag (.css) or javascript_include_tag
# (.js) with integrity: true.  Prints one JSON object {NAME: {...}} on stdout.
# An unknown NAME fails (unknown_asset_fallback = false), exit status 1.
require "json"
require "logger"
require "tmpdir"
require "rails"
require "action_controller/railtie"
require "action_view/railtie"
require "sprockets/railtie"

dist, cdn, *names = ARGV
abort "usage: rails_urls.rb DIST CDN_URL NAME..." if cdn.nil? || names.empty?
dist = File.expand_path(dist)
root = Dir.mktmpdir("rails-urls-")
at_exit { FileUtils.remove_entry(root) }

class ReaderApp < Rails::Application
end

ReaderApp.configure do
  config.root = root
  config.eager_load = false
  config.cache_classes = true
  config.logger = Logger.new(nil)
  config.secret_key_base = "0" * 64
  config.paths["public"] = File.dirname(dist)
  config.assets.prefix = "/" + File.basename(dist)
  config.assets.compile = false
  config.assets.digest = true
  config.assets.debug = false
  config.assets.unknown_asset_fallback = false
  config.action_controller.asset_host = cdn
end
ReaderApp.initialize!

manifest = ReaderApp.assets_manifest
$stderr.puts "rails_urls: manifest #{manifest.filename}" if ENV["RAILS_URLS_VERBOSE"]

out = {}
renderer = ActionController::Base.renderer.new(https: true, http_host: "app.example")
names.each do |name|
  tpl = +"<%= asset_path(n) %>\n<%= asset_url(n) %>\n<%= asset_integrity(n).to_s %>\n"
  if name.end_with?(".css")
    tpl << "<%= stylesheet_link_tag(n, integrity: true) %>"
  elsif name.end_with?(".js")
    tpl << "<%= javascript_include_tag(n, integrity: true) %>"
  end
  lines = renderer.render(inline: tpl, locals: { n: name }).split("\n")
  out[name] = { "asset_path" => lines[0], "asset_url" => lines[1],
                "asset_integrity" => lines[2], "tag" => lines[3],
                "manifest" => manifest.filename }
end
puts JSON.generate(out)
