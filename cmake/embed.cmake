# parley_embed(target file...) builds a static library holding each file's bytes, looked up at
# run time by base name through parley::assets::find() (src/net/assets.hpp).
function(parley_embed target)
  set(out_dir ${CMAKE_BINARY_DIR}/embedded)
  set(outputs)
  foreach(file ${ARGN})
    get_filename_component(name ${file} NAME)
    string(MAKE_C_IDENTIFIER ${name} ident)
    set(out ${out_dir}/${ident}.cpp)
    add_custom_command(OUTPUT ${out}
      COMMAND ${CMAKE_COMMAND} -DIN=${file} -DOUT=${out} -DNAME=${name} -DIDENT=${ident}
              -P ${CMAKE_SOURCE_DIR}/cmake/embed_file.cmake
      DEPENDS ${file} ${CMAKE_SOURCE_DIR}/cmake/embed_file.cmake
      COMMENT "Embedding ${name}")
    list(APPEND outputs ${out})
    list(APPEND idents ${ident})
  endforeach()
  set(index ${out_dir}/${target}_index.cpp)
  set(decls "")
  set(entries "")
  foreach(ident ${idents})
    string(APPEND decls "extern const parley::assets::Asset asset_${ident};\n")
    string(APPEND entries "    &asset_${ident},\n")
  endforeach()
  file(WRITE ${index}.in "#include \"net/assets.hpp\"\n#include <cstring>\nnamespace parley::assets {\n${decls}\nconst Asset* find(std::string_view name) {\n  static const Asset* const all[] = {\n${entries}  };\n  for (const Asset* a : all) if (a->name == name) return a;\n  return nullptr;\n}\n}  // namespace parley::assets\n")
  configure_file(${index}.in ${index} COPYONLY)
  add_library(${target} STATIC ${outputs} ${index})
  target_include_directories(${target} PRIVATE ${CMAKE_BINARY_DIR}/include/parley_net)
endfunction()
