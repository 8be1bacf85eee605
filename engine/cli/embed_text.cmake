# Writes a text file into a C file as one NUL-terminated array, so the binary carries it.
# Invoked by the build with -DIN=file -DOUT=file.c -DNAME=c_identifier
file(READ ${IN} hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," hex "${hex}")
file(WRITE ${OUT}.tmp "/* Generated from ${IN} by embed_text.cmake; do not edit. */\nextern const char ${NAME}[];\nconst char ${NAME}[] = {${hex} 0};\n")
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
file(REMOVE ${OUT}.tmp)
