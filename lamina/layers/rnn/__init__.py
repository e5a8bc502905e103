"""Recurrent layers: RNN, SimpleRNN, LSTM, GRU (and their cells), Bidirectional,
TimeDistributed, ConvLSTM1D/2D/3D. Built-in cells run a whole sequence as one fused graph node."""
from lamina.layers.rnn.bidirectional import Bidirectional  # noqa: F401
from lamina.layers.rnn.conv_lstm import ConvLSTM1D, ConvLSTM2D, ConvLSTM3D  # noqa: F401
from lamina.layers.rnn.dropout_rnn_cell import DropoutRNNCell  # noqa: F401
from lamina.layers.rnn.gru import GRU, GRUCell  # noqa: F401
from lamina.layers.rnn.lstm import LSTM, LSTMCell  # noqa: F401
from lamina.layers.rnn.rnn import RNN  # noqa: F401
from lamina.layers.rnn.simple_rnn import SimpleRNN, SimpleRNNCell  # noqa: F401
from lamina.layers.rnn.stacked_rnn_cells import StackedRNNCells  # noqa: F401
from lamina.layers.rnn.time_distributed import TimeDistributed  # noqa: F401
from lamina.layers.rnn.wrapper import Wrapper  # noqa: F401
