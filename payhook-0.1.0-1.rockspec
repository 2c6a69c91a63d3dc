-- payhook for Lua 5.4 and LuaJIT (any Lua from 5.1 up): `luarocks make`
-- from a checkout, or `luarocks install payhook-0.1.0-1.src.rock`.  The
-- version is the VERSION file's; tests/lua checks that this file, its
-- PH_VERSION define and VERSION agree, and that `sources` lists every C
-- file of csrc/ and bindings/lua/.
rockspec_format = "3.0"
package = "payhook"
version = "0.1.0-1"
-- The release tarball, payhook-0.1.0.tar.gz, whose top directory is
-- payhook-0.1.0.  The project has no public address yet, so the URL is the
-- tarball's bare name: `luarocks install` of this rockspec works in a
-- directory that holds the tarball, and a source rock packed from a
-- checkout (`tests/lua/rock.sh pack DIR`) carries the tarball inside it and
-- installs anywhere, offline.  `luarocks make` builds the checkout it runs
-- in and never reads this.
source = {
   url = "payhook-0.1.0.tar.gz",
   dir = "payhook-0.1.0",
}
description = {
   summary = "Verify and decrypt payment-gateway payout callbacks (LeanX, SuperPay)",
   detailed = [[
      LeanX callbacks (HS256 JWT) verified in constant time with the
      algorithm pinned by the caller, SuperPay callbacks (AES-256-CBC,
      IV = MD5(key)) decrypted with one error for every failure; the
      payload comes back as Lua values (payhook.null for JSON null, arrays
      tagged so they stay arrays).  A C core on OpenSSL and cJSON.
   ]],
   license = "MIT",
   labels = { "jwt", "webhook", "openresty", "crypto" },
}
dependencies = {
   "lua >= 5.1",
}
external_dependencies = {
   OPENSSL = { header = "openssl/evp.h", library = "crypto" },
   CJSON = { header = "cjson/cJSON.h", library = "cjson" },
}
build = {
   type = "builtin",
   modules = {
      payhook = "bindings/lua/payhook.lua",
      ["payhook.openresty"] = "bindings/lua/payhook/openresty.lua",
      ["payhook.core"] = {
         sources = {
            "bindings/lua/payhook_core.c",
            "bindings/lua/lua_gateway.c",
            "bindings/lua/lua_json.c",
            "bindings/lua/lua_opts.c",
            "bindings/lua/lua_sink.c",
            "bindings/lua/lua_work.c",
            "csrc/aes_cbc.c",
            "csrc/b64url_simd.c",
            "csrc/base64.c",
            "csrc/cjson_sink.c",
            "csrc/digest.c",
            "csrc/encoding.c",
            "csrc/envelope.c",
            "csrc/float_parse.c",
            "csrc/form.c",
            "csrc/form_gateway.c",
            "csrc/gateway.c",
            "csrc/gw_billplz.c",
            "csrc/gw_chip.c",
            "csrc/gw_fiuu.c",
            "csrc/gw_leanx.c",
            "csrc/gw_razorpay.c",
            "csrc/gw_senangpay.c",
            "csrc/gw_standardwebhooks.c",
            "csrc/gw_stripe.c",
            "csrc/gw_superpay.c",
            "csrc/gw_toyyibpay.c",
            "csrc/gw_twoc2p.c",
            "csrc/hmac.c",
            "csrc/json_ct.c",
            "csrc/json_parse.c",
            "csrc/json_pick.c",
            "csrc/jwt_claims.c",
            "csrc/jwt_sign.c",
            "csrc/jwt_verify.c",
            "csrc/leanx.c",
            "csrc/mac_key.c",
            "csrc/number.c",
            "csrc/rsa.c",
            "csrc/scratch.c",
            "csrc/siphash.c",
            "csrc/simd_loops.c",
            "csrc/status.c",
            "csrc/superpay.c",
            "csrc/timestamp.c",
         },
         defines = { 'PH_VERSION="0.1.0"', "_POSIX_C_SOURCE=200809L" },
         incdirs = { "csrc", "bindings/lua", "$(OPENSSL_INCDIR)", "$(CJSON_INCDIR)" },
         libdirs = { "$(OPENSSL_LIBDIR)", "$(CJSON_LIBDIR)" },
         libraries = { "crypto", "cjson", "m" },
      },
   },
}
