// The INT8 MLP behind a framed UART protocol (accel/fpga/link.py is the host side):
//   request:  0xA5, CMD, SEQ, LEN, PAYLOAD[LEN], CHK      CHK = XOR of CMD, SEQ, LEN and every payload byte
//   CMD 0x01 INFER (LEN 64, int8 input)  -> 0xA5, 0x81, SEQ, 41, class, 10 x int32 logits (LE), CHK
//   CMD 0x02 PING  (LEN 0)               -> 0xA5, 0x82, SEQ, 0, CHK
//   errors                               -> 0xA5, 0xEE, SEQ, 1, code, CHK
//     code 1 bad checksum, 2 unknown command, 3 bad length, 4 timeout (truncated frame),
//     5 UART framing error (bad stop bit), 6 receive overflow (the host ignored CTS)
// Every reply carries the SEQ of the request it answers, so the host can tell a late reply from
// the one it waits for; an error about bytes that belong to no request (a framing error between
// frames, an overflow) carries SEQ 0. Bytes before a start byte are skipped. Received bytes queue in
// a 256-byte FIFO, so frames may arrive back to back while the MLP computes or a reply is being
// sent, as long as the host honours `cts`: it goes low while fewer than CTS_MARGIN bytes are free
// (room for the bytes a host UART still sends after CTS drops), high again once they are. A byte
// that finds the FIFO full is dropped and reported as error 6: never lost silently. A frame that
// stalls mid-way for TIMEOUT_CLKS cycles is answered with error 4: the parser never hangs.
module mlp_uart_top #(
    parameter CLKS_PER_BIT = 868,
    parameter TIMEOUT_CLKS = 200 * 868,
    parameter [15:0] M1 = 16'd1,
    parameter [4:0]  S1 = 5'd0,
    parameter W1_FILE = "w1.mem",
    parameter B1_FILE = "b1.mem",
    parameter W2_FILE = "w2.mem",
    parameter B2_FILE = "b2.mem"
) (
    input  wire clk,
    input  wire rst,
    input  wire rx,
    output wire tx,
    output reg  cts
);
    localparam SOF = 8'hA5, CMD_INFER = 8'h01, CMD_PING = 8'h02;
    localparam ERR_CHECKSUM = 8'd1, ERR_COMMAND = 8'd2, ERR_LENGTH = 8'd3, ERR_TIMEOUT = 8'd4, ERR_FRAMING = 8'd5,
               ERR_OVERFLOW = 8'd6;
    localparam NO_SEQ = 8'd0;
    localparam FIFO_DEPTH = 256, CTS_MARGIN = 16;

    // ---- receive side: UART -> 256-byte FIFO ------------------------------------------------
    wire [7:0] rx_data;
    wire       rx_valid, rx_frame_error;
    uart_rx #(.CLKS_PER_BIT(CLKS_PER_BIT)) receiver (
        .clk(clk), .rst(rst), .rx(rx), .data(rx_data), .valid(rx_valid), .frame_error(rx_frame_error));
    reg [7:0] fifo [0:FIFO_DEPTH-1];
    reg [8:0] fifo_head, fifo_tail;  // one bit wider than the address: full and empty differ
    wire [8:0] fifo_fill = fifo_head - fifo_tail;
    wire      fifo_empty = (fifo_fill == 9'd0);
    wire      fifo_full = fifo_fill[8];
    wire [7:0] fifo_out = fifo[fifo_tail[7:0]];
    reg       framing_seen, overflow_seen;  // errors wait here until the parser can report them
    reg       framing_clear, overflow_clear;
    always @(posedge clk) begin
        if (rst) begin
            fifo_head <= 0; framing_seen <= 1'b0; overflow_seen <= 1'b0; cts <= 1'b0;
        end else begin
            cts <= (fifo_fill < FIFO_DEPTH - CTS_MARGIN);
            if (rx_valid && !fifo_full) begin
                fifo[fifo_head[7:0]] <= rx_data;
                fifo_head <= fifo_head + 1;
            end
            if (rx_valid && fifo_full) overflow_seen <= 1'b1;  // the byte is dropped
            else if (overflow_clear) overflow_seen <= 1'b0;
            if (rx_frame_error) framing_seen <= 1'b1;
            else if (framing_clear) framing_seen <= 1'b0;
        end
    end

    // ---- the MLP ------------------------------------------------------------------------------
    reg        mlp_start, x_we;
    reg  [7:0] x_addr, x_data;
    reg  [3:0] logit_addr;
    wire [31:0] logit_data;
    wire [3:0]  mlp_class;
    wire        mlp_busy, mlp_done;
    int8_mlp #(.M1(M1), .S1(S1), .W1_FILE(W1_FILE), .B1_FILE(B1_FILE), .W2_FILE(W2_FILE), .B2_FILE(B2_FILE)) mlp (
        .clk(clk), .rst(rst), .start(mlp_start), .x_we(x_we), .x_addr(x_addr), .x_data(x_data),
        .logit_addr(logit_addr), .logit_data(logit_data), .class_out(mlp_class), .busy(mlp_busy), .done(mlp_done));

    // ---- transmit side: reply buffer -> UART ----------------------------------------------------
    reg  [7:0] reply [0:45];
    reg  [7:0] reply_len, reply_pos;
    reg        tx_start;
    wire       tx_busy, tx_done;
    uart_tx #(.CLKS_PER_BIT(CLKS_PER_BIT)) transmitter (
        .clk(clk), .rst(rst), .start(tx_start), .data(reply[reply_pos]), .tx(tx), .busy(tx_busy), .done(tx_done));

    // ---- protocol state machine ---------------------------------------------------------------
    localparam S_SOF = 4'd0, S_CMD = 4'd1, S_SEQ = 4'd2, S_LEN = 4'd3, S_PAYLOAD = 4'd4, S_CHK = 4'd5,
               S_RUN = 4'd6, S_WAIT = 4'd7, S_LOGITS = 4'd8, S_SEND = 4'd9, S_SENDING = 4'd10, S_ERROR = 4'd11;
    reg [3:0]  state;
    reg [7:0]  cmd, seq, len, count, checksum, error_code;
    reg [31:0] idle_clks;
    reg [3:0]  logit_index;
    wire [7:0] logit_xor = logit_data[7:0] ^ logit_data[15:8] ^ logit_data[23:16] ^ logit_data[31:24];

    always @(posedge clk) begin
        if (rst) begin
            state <= S_SOF; fifo_tail <= 0; cmd <= 0; seq <= NO_SEQ; len <= 0; count <= 0;
            checksum <= 0; error_code <= 0; idle_clks <= 0; mlp_start <= 1'b0; x_we <= 1'b0;
            x_addr <= 0; x_data <= 0; logit_addr <= 0; logit_index <= 0; reply_len <= 0;
            reply_pos <= 0; tx_start <= 1'b0; framing_clear <= 1'b0; overflow_clear <= 1'b0;
        end else begin
            mlp_start <= 1'b0;
            x_we <= 1'b0;
            tx_start <= 1'b0;
            framing_clear <= 1'b0;
            overflow_clear <= 1'b0;
            case (state)
                S_SOF, S_CMD, S_SEQ, S_LEN, S_PAYLOAD, S_CHK: begin
                    if (framing_seen) begin
                        framing_clear <= 1'b1;
                        error_code <= ERR_FRAMING;
                        state <= S_ERROR;
                    end else if (overflow_seen) begin
                        overflow_clear <= 1'b1;
                        error_code <= ERR_OVERFLOW;
                        seq <= NO_SEQ;  // the lost bytes belong to frames not parsed yet
                        state <= S_ERROR;
                    end else if (!fifo_empty) begin
                        fifo_tail <= fifo_tail + 1;
                        idle_clks <= 0;
                        case (state)
                            S_SOF: if (fifo_out == SOF) state <= S_CMD;
                            S_CMD: begin cmd <= fifo_out; checksum <= fifo_out; state <= S_SEQ; end
                            S_SEQ: begin seq <= fifo_out; checksum <= checksum ^ fifo_out; state <= S_LEN; end
                            S_LEN: begin
                                len <= fifo_out;
                                checksum <= checksum ^ fifo_out;
                                count <= 0;
                                state <= (fifo_out == 0) ? S_CHK : S_PAYLOAD;
                            end
                            S_PAYLOAD: begin
                                checksum <= checksum ^ fifo_out;
                                if (cmd == CMD_INFER && count < 64) begin
                                    x_we <= 1'b1;
                                    x_addr <= count;
                                    x_data <= fifo_out;
                                end
                                count <= count + 1;
                                if (count == len - 1) state <= S_CHK;
                            end
                            S_CHK: begin
                                if (fifo_out != checksum) begin
                                    error_code <= ERR_CHECKSUM; state <= S_ERROR;
                                end else if (cmd != CMD_INFER && cmd != CMD_PING) begin
                                    error_code <= ERR_COMMAND; state <= S_ERROR;
                                end else if ((cmd == CMD_INFER && len != 8'd64) || (cmd == CMD_PING && len != 8'd0)) begin
                                    error_code <= ERR_LENGTH; state <= S_ERROR;
                                end else if (cmd == CMD_PING) begin
                                    reply[0] <= SOF; reply[1] <= 8'h82; reply[2] <= seq; reply[3] <= 8'd0;
                                    reply[4] <= 8'h82 ^ seq;
                                    reply_len <= 8'd5; state <= S_SEND;
                                end else begin
                                    state <= S_RUN;
                                end
                            end
                            default: state <= S_SOF;
                        endcase
                    end else if (state != S_SOF) begin
                        if (idle_clks == TIMEOUT_CLKS - 1) begin
                            idle_clks <= 0;
                            error_code <= ERR_TIMEOUT;
                            state <= S_ERROR;
                        end else begin
                            idle_clks <= idle_clks + 1;
                        end
                    end
                end
                S_RUN: begin
                    mlp_start <= 1'b1;
                    state <= S_WAIT;
                end
                S_WAIT: if (mlp_done) begin
                    reply[0] <= SOF; reply[1] <= 8'h81; reply[2] <= seq; reply[3] <= 8'd41; reply[4] <= {4'd0, mlp_class};
                    checksum <= 8'h81 ^ seq ^ 8'd41 ^ {4'd0, mlp_class};
                    logit_index <= 0;
                    logit_addr <= 0;
                    state <= S_LOGITS;
                end
                S_LOGITS: begin  // copy one 32-bit logit per cycle, little-endian
                    reply[5 + logit_index * 4]     <= logit_data[7:0];
                    reply[5 + logit_index * 4 + 1] <= logit_data[15:8];
                    reply[5 + logit_index * 4 + 2] <= logit_data[23:16];
                    reply[5 + logit_index * 4 + 3] <= logit_data[31:24];
                    checksum <= checksum ^ logit_xor;
                    if (logit_index == 4'd9) begin
                        reply[45] <= checksum ^ logit_xor;
                        reply_len <= 8'd46;
                        state <= S_SEND;
                    end else begin
                        logit_index <= logit_index + 1;
                        logit_addr <= logit_index + 1;
                    end
                end
                S_ERROR: begin
                    reply[0] <= SOF; reply[1] <= 8'hEE; reply[2] <= seq; reply[3] <= 8'd1; reply[4] <= error_code;
                    reply[5] <= 8'hEE ^ seq ^ 8'd1 ^ error_code;
                    reply_len <= 8'd6;
                    state <= S_SEND;
                end
                S_SEND: begin
                    reply_pos <= 0;
                    state <= S_SENDING;
                end
                S_SENDING: begin
                    if (!tx_busy && !tx_start && !tx_done) begin  // done: reply_pos is being advanced
                        if (reply_pos == reply_len) begin
                            reply_pos <= 0;
                            seq <= NO_SEQ;
                            state <= S_SOF;
                        end else begin
                            tx_start <= 1'b1;
                        end
                    end
                    if (tx_done) reply_pos <= reply_pos + 1;
                end
                default: state <= S_SOF;
            endcase
        end
    end
endmodule
