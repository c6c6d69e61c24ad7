module bpelbench

go 1.19
