build2/obj/ticketd/main.o: src/ticketd/main.c src/ticketd/daemon.h \
 src/ticketd/deliver.h
src/ticketd/daemon.h:
src/ticketd/deliver.h:
