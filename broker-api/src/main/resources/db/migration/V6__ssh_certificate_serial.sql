-- Serial numbers of the SSH user and host certificates the broker's CAs sign, unique across replicas.
create sequence ssh_certificate_serial start with 1 no cycle;
