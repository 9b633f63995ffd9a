document.title = 'itda';
