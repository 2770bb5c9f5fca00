# SPDX-License-Identifier: MIT
# Shared by the Fetch*.cmake scripts. ganpp_check_files(SCRIPT DIR FILE...) sets missing_files in the caller to the
# FILEs in DIR that are absent or fail their SHA-256 (the caller's sha_<FILE> variables). A failing file is deleted so
# that no later step mistakes it for a good one; a folder where a file belongs is an error. SCRIPT names the caller
# in the messages.
function(ganpp_check_files script dir)
  set(missing "")
  foreach(f IN LISTS ARGN)
    set(path "${dir}/${f}")
    if(IS_DIRECTORY "${path}")
      message(FATAL_ERROR "${script}: ${path} is a directory; expected the file ${f}. Remove it and run this again.")
    elseif(EXISTS "${path}")
      file(SHA256 "${path}" actual)
      if(actual STREQUAL "${sha_${f}}")
        continue()
      endif()
      message(STATUS "${script}: ${f} has SHA-256 ${actual}, expected ${sha_${f}}; deleting it")
      file(REMOVE "${path}")
    endif()
    list(APPEND missing "${f}")
  endforeach()
  set(missing_files "${missing}" PARENT_SCOPE)
endfunction()
