# Turns IN into OUT: a C++ file defining parley::assets::asset_IDENT with the file's bytes.
file(READ ${IN} hex HEX)
string(LENGTH "${hex}" hex_len)
math(EXPR size "${hex_len} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n" bytes "${bytes}")
file(WRITE ${OUT} "#include \"net/assets.hpp\"\nnamespace parley::assets {\nstatic const unsigned char data_${IDENT}[] = {\n${bytes}0};\nextern const Asset asset_${IDENT};\nconst Asset asset_${IDENT}{\"${NAME}\", std::string_view(reinterpret_cast<const char*>(data_${IDENT}), ${size})};\n}  // namespace parley::assets\n")
