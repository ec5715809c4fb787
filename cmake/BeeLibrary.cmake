# How every library of the project is installed (see docs/packaging.md):
#   - headers under <includedir>/bee/<module>/..., never straight into <includedir>/net/,
#     which is the C library's (<net/if.h>); consumers still write "hypercore/core.hpp";
#   - the static archive (bee::<name>) always, in the `dev` component;
#   - with BEE_BUILD_SHARED, a shared library from the same objects (bee::<name>_shared,
#     lib<output>.so.<soversion>) in the `lib` component, its .so link in `dev`.

# The folder every public header is installed under, and consumers' include path.
set(BEE_INSTALL_INCLUDEDIR ${CMAKE_INSTALL_INCLUDEDIR}/bee)

# Before 1.0 every minor version may change the ABI, so it is part of the SONAME.
set(BEE_SOVERSION ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR})

# bee_public_includes(target): the include path of a library, in the tree and installed.
function(bee_public_includes target)
  target_include_directories(${target} PUBLIC
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}>
    $<INSTALL_INTERFACE:${BEE_INSTALL_INCLUDEDIR}>)
endfunction()

# bee_install_library(target): call after the target's target_link_libraries. Installs the
# archive and, with BEE_BUILD_SHARED, adds and installs <target>_shared, whose bee::
# dependencies are the shared ones too.
function(bee_install_library target)
  install(TARGETS ${target} EXPORT bee-targets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev)
  if(NOT BEE_BUILD_SHARED)
    return()
  endif()
  set_target_properties(${target} PROPERTIES POSITION_INDEPENDENT_CODE ON)
  get_target_property(export_name ${target} EXPORT_NAME)
  get_target_property(output_name ${target} OUTPUT_NAME)
  set(shared ${target}_shared)
  add_library(${shared} SHARED $<TARGET_OBJECTS:${target}>)
  add_library(bee::${export_name}_shared ALIAS ${shared})
  set_target_properties(${shared} PROPERTIES
    EXPORT_NAME ${export_name}_shared OUTPUT_NAME ${output_name}
    VERSION ${PROJECT_VERSION} SOVERSION ${BEE_SOVERSION})
  bee_public_includes(${shared})
  get_target_property(features ${target} INTERFACE_COMPILE_FEATURES)
  if(features)
    target_compile_features(${shared} PUBLIC ${features})
  endif()
  # Public dependencies are what the archive passes on (bee:: ones become their shared
  # twins); everything else it links is private to the shared library.
  get_target_property(public_deps ${target} INTERFACE_LINK_LIBRARIES)
  get_target_property(all_deps ${target} LINK_LIBRARIES)
  foreach(dep IN LISTS all_deps)
    set(twin ${dep})
    if(dep MATCHES "^bee::(.*)$")
      set(twin bee::${CMAKE_MATCH_1}_shared)
    endif()
    if(dep IN_LIST public_deps)
      target_link_libraries(${shared} PUBLIC ${twin})
    else()
      target_link_libraries(${shared} PRIVATE ${twin})
    endif()
  endforeach()
  install(TARGETS ${shared} EXPORT bee-targets
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT lib NAMELINK_COMPONENT dev)
endfunction()

# bee_install_headers(subdir [WITH_INTERNAL] [EXCLUDE pattern...]): the .hpp files of the
# current source folder as <includedir>/bee/<subdir>/; internal/ only WITH_INTERNAL (for a
# public header that still includes one).
function(bee_install_headers subdir)
  cmake_parse_arguments(ARG "WITH_INTERNAL" "" "EXCLUDE" ${ARGN})
  set(patterns)
  if(NOT ARG_WITH_INTERNAL)
    list(APPEND patterns PATTERN "internal" EXCLUDE)
  endif()
  foreach(p IN LISTS ARG_EXCLUDE)
    list(APPEND patterns PATTERN "${p}" EXCLUDE)
  endforeach()
  install(DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}/ DESTINATION ${BEE_INSTALL_INCLUDEDIR}/${subdir} COMPONENT dev
    FILES_MATCHING PATTERN "*.hpp" ${patterns})
endfunction()
