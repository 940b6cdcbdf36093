fpga/up5k/ecg_bnn_uart_rx.sv
fpga/up5k/ecg_bnn_uart_tx.sv
fpga/up5k/ecg_bnn_board_up5k.sv
